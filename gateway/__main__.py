"""`python -m gateway`: the gateway, configured from WEFT_GATEWAY_* (gateway/config.py)."""

from gateway.app import main

if __name__ == "__main__":
    main()
