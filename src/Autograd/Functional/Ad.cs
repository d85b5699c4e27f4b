namespace Autograd;

/// <summary>
/// Differentiation as pure functions of a program, in JAX's vocabulary. <c>P</c> in each method is a
/// parameter tree (<see cref="Tree"/>): a tensor, or a record of tensors, nested records and lists of them.
/// Gradients come back as a value of the same type; nothing is stored on the graph, so every call is independent.
/// </summary>
public static class Ad
{
    /// <summary>f(p) and ∂f/∂p for a function returning a one-element tensor. The value comes back as a plain
    /// leaf (as in JAX): keeping it, e.g. in a list of losses, does not keep the traced graph alive. The arrays a
    /// sequence node keeps for its rule go back to the pool during the sweep; a tensor kept from inside f can still be
    /// differentiated again, as its node then runs its forward pass once more for them.</summary>
    public static (Tensor Value, P Grad) ValueAndGrad<P>(Func<P, Tensor> f, P primal)
    {
        var (leaves, p) = Trace(primal);
        var y = f(p);
        RequireScalar(y, "ValueAndGrad");
        return (Ops.StopGradient(y), Tree.Rebuild(primal, Pull(y, NDArray.Full(y.Shape, 1.0, y.DType), leaves, last: true)));
    }

    /// <summary>f(p) with an auxiliary result (JAX's <c>has_aux</c>: a final RNN state, a metric) and ∂value/∂p.
    /// The value and the tensors of the auxiliary result come back as plain leaves, cut from the traced graph, so a
    /// carried state starts the next call afresh (truncated backpropagation) and nothing keeps the graph alive; an
    /// auxiliary result that is not a tree of tensors is returned as computed.</summary>
    public static (Tensor Value, A Aux, P Grad) ValueAndGrad<P, A>(Func<P, (Tensor Value, A Aux)> f, P primal)
    {
        var (leaves, p) = Trace(primal);
        var (y, aux) = f(p);
        RequireScalar(y, "ValueAndGrad");
        return (Ops.StopGradient(y), Detach(aux), Tree.Rebuild(primal, Pull(y, NDArray.Full(y.Shape, 1.0, y.DType), leaves, last: true)));
    }

    /// <summary>∂f/∂p for a function returning a one-element tensor.</summary>
    public static P Grad<P>(Func<P, Tensor> f, P primal) => ValueAndGrad(f, primal).Grad;

    /// <summary>The gradient as a function: <c>Grad(f)(p) == Grad(f, p)</c>.</summary>
    public static Func<P, P> Grad<P>(Func<P, Tensor> f) => p => Grad(f, p);

    /// <summary>f(p) and its pullback: a function from a cotangent shaped like f(p) to ⟨cotangent, ∂f/∂p⟩.
    /// The pullback may be called any number of times, from any thread.</summary>
    public static (Tensor Value, Func<Tensor, P> Pullback) Vjp<P>(Func<P, Tensor> f, P primal)
    {
        var (leaves, p) = Trace(primal);
        var y = f(p);
        return (y, cotangent => Tree.Rebuild(primal, Pull(y, cotangent.Value, leaves)));
    }

    /// <summary>The cotangents of the graph nodes <paramref name="wrt"/> (leaves or intermediate nodes) for the output
    /// <paramref name="output"/> seeded with <paramref name="cotangent"/> (ones when null). Zeros where there is no path.</summary>
    public static Tensor[] Gradients(Tensor output, IReadOnlyList<Tensor> wrt, Tensor? cotangent = null)
    {
        var seed = cotangent?.Value ?? NDArray.Full(output.Shape, 1.0, output.DType);
        return Backward.Run(output, seed, wrt).Select(g => new Tensor(g)).ToArray();
    }

    /// <summary>
    /// A differentiable function with a hand-written derivative (JAX's <c>custom_vjp</c>): <paramref name="forward"/>
    /// computes y = f(x) and <paramref name="vjp"/>(x, y, g) returns the cotangent of x for the cotangent g of y.
    /// Both are ordinary tensor code; the result is recorded as one node named <paramref name="name"/>.
    /// </summary>
    public static Func<Tensor, Tensor> CustomVjp(string name, Func<Tensor, Tensor> forward, Func<Tensor, Tensor, Tensor, Tensor> vjp)
    {
        var op = new CustomVjpOp(name, vjp);
        return x => op.Record(forward(Ops.StopGradient(x)).Value, x);
    }

    private static A Detach<A>(A aux) =>
        aux is not null && Tree.TryFlatten(aux, out var leaves) && leaves.Count > 0 ? Tree.Rebuild(aux, leaves.Select(Ops.StopGradient).ToList()) : aux;

    private static (List<Tensor> Leaves, P Traced) Trace<P>(P primal)
    {
        // Fresh leaves: the function is differentiated at the values it is given, whatever graph produced them.
        var leaves = Tree.Flatten(primal).Select(t => new Tensor(t.Value)).ToList();
        return (leaves, Tree.Rebuild(primal, leaves));
    }

    // last: the graph is dropped after this sweep (Backward.Run), as ValueAndGrad returns only detached values.
    private static Tensor[] Pull(Tensor y, NDArray seed, List<Tensor> leaves, bool last = false)
    {
        if (!seed.Shape.Equals(y.Shape))
            throw new ShapeMismatchException($"Vjp: the cotangent has shape {seed.Shape} but the function's output has shape {y.Shape}.");
        return Backward.Run(y, seed, leaves, last).Select(g => new Tensor(g)).ToArray();
    }

    private static void RequireScalar(Tensor y, string op)
    {
        if (y.Size != 1)
            throw new ShapeMismatchException($"{op}: the function must return a one-element tensor, got shape {y.Shape}; use Vjp for other outputs.");
    }
}

internal sealed class CustomVjpOp(string name, Func<Tensor, Tensor, Tensor, Tensor> vjp) : Primitive
{
    public override string Name => name;

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var x = y.Input(0);
        var gx = vjp(new Tensor(x.Value), new Tensor(y.Value), new Tensor(gy)).Value;
        if (!gx.Shape.Equals(x.Shape))
            throw new ShapeMismatchException($"{name}: the custom VJP returned shape {gx.Shape} for an input of shape {x.Shape}.");
        return [gx];
    }
}
