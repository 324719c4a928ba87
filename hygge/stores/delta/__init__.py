"""Delta Lake tables (delta-rs): `type: delta`. deltalake is imported only when a store opens."""

from hygge.stores.delta.config import DeltaStoreConfig

__all__ = ["DeltaStoreConfig"]
