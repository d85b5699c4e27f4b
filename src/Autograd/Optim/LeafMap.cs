using System.Buffers;
using System.Collections.Immutable;

namespace Autograd.Optim;

/// <summary>An elementwise update of one parameter leaf, written once for float and double: reads equal-length input
/// arrays (parameter, gradient, old state slots) and fills freshly allocated output arrays (new parameter, new slots).</summary>
internal interface ILeafKernel
{
    /// <summary>Fills <paramref name="outputs"/> from <paramref name="inputs"/>; must not write to an input.</summary>
    void Apply<T>(T[][] inputs, T[][] outputs) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The one place optimizers and clipping touch raw storage: maps lists of leaf arrays to new lists of leaf arrays.
/// PERF: updates run on the NDArray spans with TensorPrimitives and record no graph nodes (an update is never
/// differentiated); every output is a new array, so inputs stay unchanged.
/// </summary>
internal static class LeafMap
{
    /// <summary>Applies <paramref name="kernel"/> leaf by leaf: output k of leaf i is shaped and typed like input 0 of leaf i.
    /// <paramref name="names"/> names each input list in errors.</summary>
    public static ImmutableArray<Tensor>[] Map<K>(K kernel, int outputs, string op, string[] names, params IReadOnlyList<Tensor>[] inputs)
        where K : struct, ILeafKernel
    {
        int n = inputs[0].Count;
        for (int k = 1; k < inputs.Length; k++)
            if (inputs[k].Count != n)
                throw new ArgumentException($"{op}: {inputs[k].Count} {names[k]} tensors for {n} {names[0]} tensors; " +
                                            "was the state initialized for another parameter tree?");
        var results = new ImmutableArray<Tensor>.Builder[outputs];
        for (int o = 0; o < outputs; o++) results[o] = ImmutableArray.CreateBuilder<Tensor>(n);
        var ins = new NDArray[inputs.Length];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                ins[k] = inputs[k][i].Value;
                if (!ins[k].Shape.Equals(ins[0].Shape) || ins[k].DType != ins[0].DType)
                    throw new ShapeMismatchException($"{op}: leaf {i} of the {names[k]} is {ins[k].DType.Name()} {ins[k].Shape} " +
                                                     $"but the {names[0]} leaf is {ins[0].DType.Name()} {ins[0].Shape}.");
            }
            var outs = ins[0].DType == DType.Float32 ? Run<K, float>(kernel, ins, outputs) : Run<K, double>(kernel, ins, outputs);
            for (int o = 0; o < outputs; o++) results[o].Add(new Tensor(outs[o]));
        }
        return results.Select(b => b.MoveToImmutable()).ToArray();
    }

    private static NDArray[] Run<K, T>(K kernel, NDArray[] ins, int outputs) where K : struct, ILeafKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        var outs = new NDArray[outputs];
        var inArrays = new T[ins.Length][];
        var outArrays = new T[outputs][];
        for (int k = 0; k < ins.Length; k++) inArrays[k] = ins[k].Array<T>();
        for (int o = 0; o < outputs; o++) { outs[o] = NDArray.Empty<T>(ins[0].Shape); outArrays[o] = outs[o].Array<T>(); }
        kernel.Apply(inArrays, outArrays);
        return outs;
    }

    /// <summary>The leaves of a parameter tree and of its gradient tree, which must have as many leaves.</summary>
    public static (List<Tensor> Params, List<Tensor> Grads) Pair<P>(P parameters, P grads, string op)
    {
        var p = Tree.Flatten(parameters);
        var g = Tree.Flatten(grads);
        if (p.Count != g.Count)
            throw new ArgumentException($"{op}: the gradient tree has {g.Count} tensors but the parameter tree has {p.Count}.");
        return (p, g);
    }

    /// <summary>Zeros shaped and typed like each leaf (fresh optimizer moments).</summary>
    public static ImmutableArray<Tensor> ZerosLike(IEnumerable<Tensor> leaves) => [.. leaves.Select(Tensor.ZerosLike)];

    /// <summary>A scratch buffer of at least <paramref name="length"/> elements from the shared pool; return it with <see cref="Return{T}"/>.</summary>
    public static T[] Rent<T>(int length) => ArrayPool<T>.Shared.Rent(length);

    /// <summary>Gives back a buffer from <see cref="Rent{T}"/>.</summary>
    public static void Return<T>(T[] buffer) => ArrayPool<T>.Shared.Return(buffer);
}
