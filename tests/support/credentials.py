"""The vendor's documented example credentials, which the emulator accepts by default."""

CREDENTIALS = {'api_key': 'bDqJFiq9', 'api_secret': '7bz1lzh9', 'app_id': '4luaKsL2'}
