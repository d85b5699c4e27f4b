using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;

namespace Autograd;

/// <summary>Marks a member of a parameter record that is carried unchanged by <see cref="Ad"/> instead of being
/// differentiated (sizes, flags, names).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class NonDifferentiableAttribute : Attribute;

/// <summary>
/// Parameter records as trees of tensors (JAX's pytrees): a <see cref="Tensor"/>, an array, list or
/// <see cref="ImmutableArray{T}"/> of trees, or a record/class/struct/tuple whose fields are trees.
/// <see cref="Flatten"/> lists the tensors in a fixed order; <see cref="Rebuild{T}"/> makes a copy of the same type
/// with other tensors in their places. A null member is an empty subtree.
/// </summary>
public static class Tree
{
    private enum Kind { Tensor, Array, ImmutableArray, List, Fields }

    private sealed record Plan(Kind Kind, Type? Element, FieldInfo[] Fields, bool[] Carried);

    private static readonly ConcurrentDictionary<Type, Plan> s_plans = new();

    private static readonly Func<object, object> s_clone = (Func<object, object>)Delegate.CreateDelegate(typeof(Func<object, object>),
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!);

    /// <summary>The tensors of <paramref name="tree"/>, depth first, in declaration order.</summary>
    public static List<Tensor> Flatten(object? tree)
    {
        var leaves = new List<Tensor>();
        FlattenInto(tree, leaves, tree?.GetType().Name ?? "null");
        return leaves;
    }

    /// <summary>The tensors of <paramref name="tree"/> in <see cref="Flatten"/> order, each with its path from the root
    /// written as in C#: <c>W</c>, <c>Layers[0].Bias</c>, <c>Item2</c> for a tuple; the empty string for a tree that is one tensor.</summary>
    public static List<(string Path, Tensor Tensor)> FlattenWithPaths(object? tree)
    {
        var leaves = new List<Tensor>();
        var paths = new List<string>();
        string root = tree?.GetType().Name ?? "null";
        FlattenInto(tree, leaves, root, paths);
        var result = new List<(string, Tensor)>(leaves.Count);
        for (int i = 0; i < leaves.Count; i++) result.Add((paths[i][root.Length..].TrimStart('.'), leaves[i]));
        return result;
    }

    private static void FlattenInto(object? node, List<Tensor> leaves, string path, List<string>? paths = null)
    {
        if (node is null) return;
        if (node is Tensor t) { leaves.Add(t); paths?.Add(path); return; }
        var plan = PlanFor(node.GetType(), path);
        switch (plan.Kind)
        {
            case Kind.Array:
            case Kind.List:
            case Kind.ImmutableArray:
                int i = 0;
                foreach (var item in (System.Collections.IEnumerable)node) FlattenInto(item, leaves, $"{path}[{i++}]", paths);
                break;
            default:
                for (int f = 0; f < plan.Fields.Length; f++)
                    if (!plan.Carried[f]) FlattenInto(plan.Fields[f].GetValue(node), leaves, $"{path}.{MemberName(plan.Fields[f])}", paths);
                break;
        }
    }

    /// <summary>True when <paramref name="value"/> is a tree of tensors that <see cref="Flatten"/> and
    /// <see cref="Rebuild{T}"/> accept (every member a tensor, a record or a list of them, or carried).</summary>
    public static bool IsTree(object value) => TryFlatten(value, out _);

    /// <summary>The tensors of <paramref name="value"/> when it is a tree, in <see cref="Flatten"/> order.</summary>
    internal static bool TryFlatten(object value, out List<Tensor> leaves)
    {
        leaves = [];
        try
        {
            FlattenInto(value, leaves, value.GetType().Name);
            return true;
        }
        catch (ArgumentException)
        {
            leaves = [];
            return false;
        }
    }

    /// <summary>A copy of <paramref name="tree"/> with <see cref="Ops.StopGradient"/> applied to every tensor: the same
    /// values, cut from the graph (JAX's <c>stop_gradient</c> on a pytree).</summary>
    public static T Detach<T>(T tree) => Rebuild(tree, Flatten(tree).Select(Ops.StopGradient).ToList());

    /// <summary>A copy of <paramref name="template"/> with its tensors replaced, in <see cref="Flatten"/> order, by <paramref name="leaves"/>.</summary>
    public static T Rebuild<T>(T template, IReadOnlyList<Tensor> leaves)
    {
        int at = 0;
        var result = (T)Rebuild(template, leaves, ref at)!;
        if (at != leaves.Count)
            throw new ArgumentException($"Tree.Rebuild: {leaves.Count} tensors given for a tree with {at}.");
        return result;
    }

    private static object? Rebuild(object? node, IReadOnlyList<Tensor> leaves, ref int at)
    {
        if (node is null) return null;
        if (node is Tensor t)
        {
            if (at >= leaves.Count) throw new ArgumentException("Tree.Rebuild: too few tensors for the tree.");
            var r = leaves[at++];
            if (!r.Shape.Equals(t.Shape))
                throw new ShapeMismatchException($"Tree.Rebuild: tensor {at - 1} has shape {r.Shape} but the tree holds shape {t.Shape} there.");
            return r;
        }
        var type = node.GetType();
        var plan = PlanFor(type, type.Name);
        switch (plan.Kind)
        {
            case Kind.Array:
            {
                var src = (Array)node;
                var dst = Array.CreateInstance(plan.Element!, src.Length);
                for (int i = 0; i < src.Length; i++) dst.SetValue(Rebuild(src.GetValue(i), leaves, ref at), i);
                return dst;
            }
            case Kind.List:
            {
                var dst = (System.Collections.IList)Activator.CreateInstance(type)!;
                foreach (var item in (System.Collections.IEnumerable)node) dst.Add(Rebuild(item, leaves, ref at));
                return dst;
            }
            case Kind.ImmutableArray:
            {
                var items = new List<object?>();
                foreach (var item in (System.Collections.IEnumerable)node) items.Add(Rebuild(item, leaves, ref at));
                var arr = Array.CreateInstance(plan.Element!, items.Count);
                for (int i = 0; i < items.Count; i++) arr.SetValue(items[i], i);
                var create = typeof(ImmutableArray).GetMethods().First(m => m.Name == "Create" && m.GetParameters() is [{ ParameterType.IsArray: true }]);
                return create.MakeGenericMethod(plan.Element!).Invoke(null, [arr]);
            }
            default:
            {
                var copy = s_clone(node);
                for (int f = 0; f < plan.Fields.Length; f++)
                    if (!plan.Carried[f]) plan.Fields[f].SetValue(copy, Rebuild(plan.Fields[f].GetValue(node), leaves, ref at));
                return copy;
            }
        }
    }

    private static Plan PlanFor(Type type, string path) => s_plans.TryGetValue(type, out var p) ? p : s_plans.GetOrAdd(type, MakePlan(type, path));

    private static Plan MakePlan(Type type, string path)
    {
        if (type == typeof(Tensor)) return new Plan(Kind.Tensor, null, [], []);
        if (type.IsArray) return new Plan(Kind.Array, Check(type.GetElementType()!, path), [], []);
        if (type.IsGenericType)
        {
            var def = type.GetGenericTypeDefinition();
            var arg = type.GetGenericArguments()[0];
            if (def == typeof(ImmutableArray<>)) return new Plan(Kind.ImmutableArray, Check(arg, path), [], []);
            if (def == typeof(List<>)) return new Plan(Kind.List, Check(arg, path), [], []);
        }
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || typeof(Delegate).IsAssignableFrom(type)
            || typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
            throw Unsupported(type, path);
        var fields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        var carried = new bool[fields.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            var f = fields[i];
            carried[i] = IsCarried(type, f);
            if (!carried[i]) Check(f.FieldType, $"{path}.{MemberName(f)}");
        }
        return new Plan(Kind.Fields, null, fields, carried);
    }

    private static Type Check(Type type, string path)
    {
        if (type == typeof(Tensor) || type == typeof(object)) return type;
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal))
            throw Unsupported(type, path);
        return type;
    }

    private static ArgumentException Unsupported(Type type, string path) => new(
        $"Ad: '{path}' has type {type.Name}, which is not a Tensor, a record of tensors or a list of them. " +
        "Mark the member [NonDifferentiable] to carry it unchanged, or move it out of the parameter record.");

    private static bool IsCarried(Type owner, FieldInfo f)
    {
        if (f.IsDefined(typeof(NonDifferentiableAttribute))) return true;
        var prop = owner.GetProperty(MemberName(f), BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        return prop?.IsDefined(typeof(NonDifferentiableAttribute)) == true;
    }

    // Auto-property backing fields are named <Name>k__BackingField.
    private static string MemberName(FieldInfo f) => f.Name.StartsWith('<') ? f.Name[1..f.Name.IndexOf('>')] : f.Name;
}
