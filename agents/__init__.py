"""The diagnosis runtime: the Observer, Probe, Executor and Compressor of the AOI paper, the
tools the Probe reads the cluster with, and the finding and trajectory models.

It reaches a cluster only through a kubeconfig and HTTP URLs (`ClusterTarget`), so the
emulated cloud and a production cluster are the same thing to it; it never imports `sim`."""
