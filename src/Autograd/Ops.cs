namespace Autograd;

/// <summary>
/// Every differentiable operation, as static functions: write <c>using static Autograd.Ops;</c> and code reads like
/// the equations (<c>Tanh(MatMul(x, W) + b)</c>). Primitives (one file each in <c>Primitives/</c>) carry a hand-written
/// derivative; composites (<c>Composite/</c>) are built from primitives and carry none.
/// </summary>
public static partial class Ops;
