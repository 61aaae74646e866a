"""Addons: hook specifications, the addon manager, addons.lock and the tree hashes that verify installed addons."""
