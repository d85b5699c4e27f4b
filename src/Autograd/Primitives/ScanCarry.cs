namespace Autograd;

/// <summary>
/// The identity, recorded where a scan hands its initial carry to the step it traces: the step's first call then
/// works on nodes of its own (the trace tells carry slots apart even when two hold the same tensor), yet stays
/// connected to the real carry, so when the step cannot be compiled that first call is kept as step 0 of the
/// unrolled loop instead of being run again. Derivative: g.
/// </summary>
internal sealed class ScanCarryOp : Primitive
{
    public static readonly ScanCarryOp Instance = new();
    public override string Name => "scan_carry";

    internal static Tensor Record(Tensor carry) => Instance.Record(carry.Value, carry);

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [gy];
}
