using System.Collections.Immutable;
using System.Text;

namespace Autograd;

/// <summary>The recorded graph as a value: list its nodes, print it, draw it.</summary>
public static class Graph
{
    /// <summary>Every node <paramref name="output"/> depends on (itself included), inputs before the nodes made from them.</summary>
    public static ImmutableArray<Tensor> Nodes(Tensor output) => [.. Collect(output, long.MinValue)];

    /// <summary>One line per node: id, operation with attributes, shape, dtype and input ids.</summary>
    public static string Describe(Tensor output)
    {
        var sb = new StringBuilder();
        foreach (var n in Collect(output, long.MinValue))
            sb.Append('%').Append(n.Id).Append(" = ").Append(n.Op?.ToString() ?? "leaf")
              .Append('(').Append(string.Join(", ", n.Inputs.Select(i => "%" + i.Id))).Append(") : ")
              .Append(n.DType.Name()).Append(n.Shape).Append('\n');
        return sb.ToString();
    }

    /// <summary>The graph in Graphviz DOT, for <c>dot -Tsvg</c>.</summary>
    public static string ToDot(Tensor output)
    {
        var sb = new StringBuilder("digraph autograd {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n");
        foreach (var n in Collect(output, long.MinValue))
        {
            sb.Append($"  n{n.Id} [label=\"{n.Op?.ToString() ?? "leaf"}\\n{n.Shape}\"{(n.IsLeaf ? ", style=rounded" : "")}];\n");
            foreach (var i in n.Inputs) sb.Append($"  n{i.Id} -> n{n.Id};\n");
        }
        return sb.Append("}\n").ToString();
    }

    /// <summary>The nodes reachable from <paramref name="output"/> with id >= <paramref name="minId"/>, sorted by id.
    /// Iterative, so a chain of any length is fine.</summary>
    internal static List<Tensor> Collect(Tensor output, long minId)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { output };
        var order = new List<Tensor>();
        var stack = new Stack<Tensor>();
        stack.Push(output);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            order.Add(n);
            for (int k = 0; k < n.InputCount; k++)
                if (n.Input(k) is var i && i.Id >= minId && seen.Add(i)) stack.Push(i);
        }
        order.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return order;
    }
}
