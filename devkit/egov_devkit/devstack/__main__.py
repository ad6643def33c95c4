from egov_devkit.devstack.run import main

main()
