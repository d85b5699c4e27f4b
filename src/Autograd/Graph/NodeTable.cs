using System.Buffers;

namespace Autograd;

/// <summary>
/// The nodes an output depends on (ids ≥ a minimum), in id order (a topological order), each with a dense slot for the
/// sweep's side arrays. Node ids are creation numbers, so the graph of one call usually fills its id range densely:
/// then slot = id − minId and <see cref="Nodes"/> is indexed by id with holes (null) for ids that are not in the graph.
/// A sparse range (the graph hangs off an old node) falls back to a sorted list and a dictionary.
/// </summary>
internal sealed class NodeTable : IDisposable
{
    /// <summary>Largest id range indexed directly (24 bytes of pooled tables per id); larger ranges use the dictionary.</summary>
    internal const long DenseRangeLimit = 1 << 22;

    private readonly long _minId;
    private readonly Dictionary<Tensor, int>? _index;
    private readonly bool _pooled;

    private NodeTable(Tensor?[] nodes, int length, long minId, Dictionary<Tensor, int>? index, bool pooled)
    {
        (Nodes, Length, _minId, _index, _pooled) = (nodes, length, minId, index, pooled);
    }

    /// <summary>Node at each slot (null: a hole in the id range); only the first <see cref="Length"/> entries count.</summary>
    public Tensor?[] Nodes { get; }

    /// <summary>Number of slots.</summary>
    public int Length { get; }

    /// <summary>The slot of <paramref name="t"/>, or −1 when it is not in the table.</summary>
    public int Slot(Tensor t)
    {
        if (_index is not null) return _index.TryGetValue(t, out int s) ? s : -1;
        long s2 = t.Id - _minId;
        return s2 >= 0 && s2 < Length && ReferenceEquals(Nodes[s2], t) ? (int)s2 : -1;
    }

    /// <summary>The nodes reachable from <paramref name="output"/> with id ≥ <paramref name="minId"/> (at most
    /// output's id). Iterative, so a chain of any length is fine. <paramref name="denseRangeLimit"/>: tests pass 0 to
    /// exercise the dictionary path.</summary>
    public static NodeTable Collect(Tensor output, long minId, long denseRangeLimit = DenseRangeLimit)
    {
        long range = output.Id - minId + 1;
        if (range > denseRangeLimit)
        {
            var list = Graph.Collect(output, minId);
            var index = new Dictionary<Tensor, int>(list.Count, ReferenceEqualityComparer.Instance);
            for (int i = 0; i < list.Count; i++) index[list[i]] = i;
            return new NodeTable([.. list], list.Count, minId, index, pooled: false);
        }
        // PERF: pooled tables indexed by id, no hashing: a large graph's maps would otherwise be fresh large-object-heap
        // arrays on every sweep, and each of them brings a gen-2 collection closer.
        int length = (int)range;
        var nodes = ArrayPool<Tensor?>.Shared.Rent(length);
        var stack = ArrayPool<Tensor>.Shared.Rent(64);
        try
        {
            nodes.AsSpan(0, length).Clear();
            int top = 0;
            nodes[length - 1] = output;
            stack[top++] = output;
            while (top > 0)
            {
                var n = stack[--top];
                for (int k = 0; k < n.InputCount; k++)
                {
                    var i = n.Input(k);
                    long s = i.Id - minId;
                    if (s < 0 || nodes[s] is not null) continue;
                    nodes[s] = i;
                    if (top == stack.Length)
                    {
                        var bigger = ArrayPool<Tensor>.Shared.Rent(2 * stack.Length);
                        stack.AsSpan().CopyTo(bigger);
                        ArrayPool<Tensor>.Shared.Return(stack, clearArray: true);
                        stack = bigger;
                    }
                    stack[top++] = i;
                }
            }
        }
        catch
        {
            ArrayPool<Tensor?>.Shared.Return(nodes, clearArray: true);
            throw;
        }
        finally
        {
            ArrayPool<Tensor>.Shared.Return(stack, clearArray: true);
        }
        return new NodeTable(nodes, length, minId, null, pooled: true);
    }

    /// <summary>Returns the pooled table (cleared, so it holds no graph alive).</summary>
    public void Dispose()
    {
        if (_pooled) ArrayPool<Tensor?>.Shared.Return(Nodes, clearArray: true);
    }
}
