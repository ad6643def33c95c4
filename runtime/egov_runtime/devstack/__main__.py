from egov_runtime.devstack.run import main

main()
