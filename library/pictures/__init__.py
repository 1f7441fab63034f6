"""Photos of resources and workshops: checked, stripped of metadata, stored on disk in resized variants."""
