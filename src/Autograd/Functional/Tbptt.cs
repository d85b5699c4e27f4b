using System.Collections.Immutable;
using static Autograd.Ops;

namespace Autograd;

/// <summary>One chunk of a <see cref="Tbptt"/> run.</summary>
/// <param name="Start">The time index of the chunk's first step.</param>
/// <param name="Length">The number of steps in the chunk (k, or fewer for the last chunk).</param>
/// <param name="Loss">The chunk's loss.</param>
/// <param name="Grad">∂Loss/∂parameters within the chunk (no gradient flows into earlier chunks).</param>
public sealed record TbpttChunk<P>(int Start, int Length, Tensor Loss, P Grad);

/// <summary>The result of <see cref="Tbptt.Run{P, C}"/>.</summary>
/// <param name="Parameters">The parameters after the last chunk's update (the given ones when there is no update).</param>
/// <param name="Final">The carry after the last step.</param>
/// <param name="Chunks">Each chunk's loss and gradient, in time order.</param>
public sealed record TbpttResult<P, C>(P Parameters, C Final, ImmutableArray<TbpttChunk<P>> Chunks);

/// <summary>
/// Truncated back-propagation through time: the sequence is cut into chunks of k steps; each chunk is differentiated
/// on its own, starting from the previous chunk's final carry with <see cref="Ops.StopGradient"/> applied, so memory
/// and the gradient's horizon are bounded by k while the state still flows forward through the whole sequence (the
/// chunk losses and updated parameters kept between chunks are detached values too, so no chunk's graph outlives it):
/// <code>
/// c = init
/// for s in 0, k, 2k, ...:
///     (loss_s, c', g_s) = ValueAndGrad(p => f(p, xs[s : s+k], stop_gradient(c)))
///     p = update(p, g_s);  c = c'
/// </code>
/// </summary>
public static class Tbptt
{
    /// <summary>Runs <paramref name="chunkLoss"/>(parameters, xs[s : s+k], carry) → (loss, carry') over consecutive
    /// chunks of axis 0 of <paramref name="xs"/> [T, ...] (the last chunk may be shorter), as in the loop on
    /// <see cref="Tbptt"/>. <paramref name="update"/>(parameters, grad), when given, makes the parameters of the next chunk.</summary>
    public static TbpttResult<P, C> Run<P, C>(Tensor xs, int k, P parameters, C init, Func<P, Tensor, C, (Tensor Loss, C Carry)> chunkLoss,
        Func<P, P, P>? update = null)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"Tbptt: the chunk length k must be positive, got {k}.");
        if (xs.Rank == 0) throw new ShapeMismatchException($"Tbptt: xs must have a time axis 0, got a scalar of shape {xs.Shape}.");
        var chunks = ImmutableArray.CreateBuilder<TbpttChunk<P>>();
        var carry = Tree.Detach(init);   // the caller's carry may hang off a graph; the ones ValueAndGrad returns do not
        for (int s = 0; s < xs.Shape[0]; s += k)
        {
            var piece = Slice(xs, 0, s, s + k);
            var start = carry;
            var (loss, next, grad) = Ad.ValueAndGrad((P p) => chunkLoss(p, piece, start), parameters);
            // Only values cross a chunk boundary: the loss, the carry and the parameters are cut off from the graph
            // that made them, or the result would keep every chunk's graph alive and memory would grow with T.
            chunks.Add(new TbpttChunk<P>(s, piece.Shape[0], loss, grad));
            carry = next;
            if (update is not null) parameters = Tree.Detach(update(parameters, grad));
        }
        return new TbpttResult<P, C>(parameters, carry, chunks.ToImmutable());
    }
}
