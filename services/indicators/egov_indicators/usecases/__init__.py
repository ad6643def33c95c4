"""Use cases of indicators, one module per intent: a submission arrives (Kafka, HTTP or a CSV
file: ``submissions``, ``imports``), a target is set and evaluated (``targets``), the values
roll up (``rollup``), the level above approves a period (``approval``), the catalogue changes
(``catalogue``), reporting completeness (``reporting``), plan periods (``plans``) and the year
so far (``year_to_date``); ``common`` holds what they share (context, rule book, hierarchy, a
period's recorded state).

Each write runs inside the caller's transaction (``Tx``): values, history, derived values,
evaluations and the outbound events (outbox) commit together. Work on a period is serialised by
an advisory lock on the period, so the roll-up of one period never races with itself.
"""
