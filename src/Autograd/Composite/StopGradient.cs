namespace Autograd;

public static partial class Ops
{
    /// <summary>The same value cut off from the graph: gradients do not flow through it (JAX <c>stop_gradient</c>, PyTorch <c>detach</c>).</summary>
    public static Tensor StopGradient(Tensor x) => new(x.Value);
}
