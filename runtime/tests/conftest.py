from collections.abc import Callable

import pytest
from egov_devkit.sample import SampleRecorded
from egov_devkit.sample import sample_data as _sample_data


@pytest.fixture
def sample_data() -> Callable[[int], SampleRecorded]:
    return _sample_data
