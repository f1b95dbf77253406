"""How `kubectl get` rows are computed, kind by kind (pkg/printers/internalversion)."""
