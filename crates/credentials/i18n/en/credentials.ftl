# Credentials: signed health records, trust lists and the verifier.
