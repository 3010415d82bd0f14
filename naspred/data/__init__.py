"""Image data for proxies and training (CIFAR, npz samples, noise batches), and the
learning-curve benchmarks that install with naspred (``learning_curves/``, package data)."""
