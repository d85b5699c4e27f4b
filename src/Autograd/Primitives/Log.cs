namespace Autograd;

public static partial class Ops
{
    /// <summary>ln x elementwise (NaN for x &lt; 0 unless <see cref="Checked"/> is on, then an exception). Derivative: g / x.</summary>
    public static Tensor Log(Tensor x)
    {
        Checked.RequireDomain(x.Value, "Log", v => v >= 0, "x >= 0");
        return LogOp.Instance.Record(Arith.Log(x.Value), x);
    }
}

internal sealed class LogOp : Primitive
{
    public static readonly LogOp Instance = new();
    public override string Name => "log";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Arith.Div(gy, y.Input(0).Value)];
}
