-- indicators: targets of a multi-year plan period (giai đoạn 2016-2020), given as a range
-- ("từ 6,5 đến 7 vạn lao động"; low = high for a single figure), for the period's value or
-- for its average per year.

CREATE TABLE plan_targets (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    plan_period    text NOT NULL CHECK (plan_period ~ '^[0-9]{4}-[0-9]{4}$'),
    basis          text NOT NULL CHECK (basis IN ('period', 'yearly-average')),
    target_low     numeric NOT NULL,
    target_high    numeric NOT NULL CHECK (target_low <= target_high),
    note           text NOT NULL DEFAULT '',
    set_by         text NOT NULL,
    set_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_code, unit_code, plan_period, basis)
);
