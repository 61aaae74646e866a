"""Progressive Web App support (manifest, icons, service worker): filled in by the PWA work."""
