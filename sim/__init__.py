"""The emulated cloud: a Kubernetes API (and later Prometheus and Jaeger APIs) over HTTP,
populated with the AIOpsLab applications and their faults.

`sim` imports nothing else of ours: to the agents it is just a cluster at a URL.
"""
