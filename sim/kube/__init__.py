"""The Kubernetes API emulation: resource registry, object store, patches, printing, HTTP."""
