pytest_plugins = ["egov_runtime.testing.fixtures"]
