import MTVAPI

/// The namespace a Kubernetes client falls back to when neither a flag nor the kubeconfig names one.
public let defaultNamespace = "default"
