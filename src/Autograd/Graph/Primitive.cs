namespace Autograd;

/// <summary>
/// An operation with a hand-written derivative. Each primitive lives in one file of <c>Primitives/</c> with its
/// forward kernel, its vector-Jacobian product and its public entry point in <see cref="Ops"/>. Users add their
/// own differentiable functions with <see cref="Ad.CustomVjp"/>.
/// </summary>
public abstract class Primitive
{
    private protected Primitive(Residuals? kept = null) => Kept = kept;

    /// <summary>The arrays this primitive's node keeps from its forward pass for the rule, if any: a sweep that is the
    /// graph's last (<see cref="Ad.ValueAndGrad{P}"/>) gives them back as soon as the rule has run.</summary>
    internal Residuals? Kept { get; }

    /// <summary>The operation's name as shown in graph listings, e.g. <c>tanh</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The operation's attributes as text (axes, exponents...), empty when it has none.</summary>
    public virtual string Attributes => "";

    /// <summary>
    /// The vector-Jacobian product: given the node <paramref name="y"/> this primitive produced (its inputs and value)
    /// and the cotangent <paramref name="gy"/> of its value, the cotangent of each input, or null for an input that
    /// gets no gradient. Returned arrays may alias <paramref name="gy"/> or other immutable arrays.
    /// </summary>
    internal abstract NDArray?[] Vjp(Tensor y, NDArray gy);

    /// <summary>Records a new node of this primitive.</summary>
    internal Tensor Record(NDArray value, params Tensor[] inputs) => new(value, this, inputs);

    /// <summary>Records a new node of this primitive with one input.</summary>
    internal Tensor Record(NDArray value, Tensor input) => new(value, this, input);

    /// <summary>Records a new node of this primitive with two inputs.</summary>
    internal Tensor Record(NDArray value, Tensor input0, Tensor input1) => new(value, this, input0, input1);

    /// <inheritdoc/>
    public override string ToString() => Attributes.Length == 0 ? Name : $"{Name}({Attributes})";
}
