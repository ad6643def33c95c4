pytest_plugins = ["egov_devkit.testing.fixtures"]
