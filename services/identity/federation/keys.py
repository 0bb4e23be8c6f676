"""This instance's federation key: made on first use, its private half Fernet-encrypted
with the key that protects the token signing keys."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.federation import FederationKey
from services.identity.config import Settings
from services.identity.federation import repository as repo
from services.identity.keys import fernet
from services.identity.models import FederationKey as FederationKeyRow


async def instance_key(session: AsyncSession, settings: Settings) -> FederationKey:
    row = await repo.instance_key(session)
    if row is None:
        await repo.lock_instance_key(session)  # two first uses at once make one key
        row = await repo.instance_key(session)
    if row is None:
        key = FederationKey.generate()
        row = FederationKeyRow(
            key_id=key.key_id,
            private_key_encrypted=fernet(settings).encrypt(key.private_bytes()).decode(),
        )
        await repo.add(session, row)
        return key
    return FederationKey.from_private_bytes(fernet(settings).decrypt(row.private_key_encrypted))
