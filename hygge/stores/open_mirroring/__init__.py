"""Microsoft Fabric Open Mirroring: `type: open_mirroring` (see `store` and `publish`)."""

from hygge.stores.open_mirroring.config import OpenMirroringStoreConfig

__all__ = ["OpenMirroringStoreConfig"]
