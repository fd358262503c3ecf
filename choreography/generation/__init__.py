"""The generate use case: admission, the run recorded on its task row, leases, history."""
