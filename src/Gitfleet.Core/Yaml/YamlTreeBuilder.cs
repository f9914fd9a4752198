using Gitfleet.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gitfleet.Core.Yaml;

/// <summary>
/// Builds one file's tree from parser events with an explicit stack, counting what it builds against the budget.
/// An alias is expanded as a copy of its anchor's finished node (each use is its own value, as when YAML is loaded
/// as plain data); an alias to a node still open (<c>loop: &amp;x [ *x ]</c>) would repeat forever and is refused.
/// </summary>
internal sealed class YamlTreeBuilder(string file, YamlBudget budget, List<Diagnostic> diagnostics)
{
    private readonly Dictionary<string, Anchor> anchors = new(StringComparer.Ordinal);
    private readonly List<Frame> stack = [];
    private readonly YamlLimits limits = budget.Limits;
    private long nodes;
    private int aliases;
    private long events;
    private object? root;

    /// <summary>Where the last event the parser produced started (for errors the parser reports without a position).</summary>
    public SourceLocation? LastLocation { get; private set; }

    public object? Build(IParser parser)
    {
        var documents = 0;
        while (parser.MoveNext())
        {
            LastLocation = Location(parser.Current!.Start);
            if (++events % 4096 == 0)
            {
                budget.CancellationToken.ThrowIfCancellationRequested();
            }

            switch (parser.Current)
            {
                case DocumentStart start:
                    if (++documents > 1)
                    {
                        var second = parser.MoveNext() && parser.Current is NodeEvent node ? node.Start : start.Start;
                        throw new YamlLimitException(DiagnosticCodes.YamlSyntax, Location(second), "a fleet file holds one YAML document; found a second one");
                    }

                    break;
                case Scalar scalar:
                    Scalar(scalar);
                    break;
                case AnchorAlias alias:
                    Alias(alias);
                    break;
                case MappingStart mapping:
                    Open(new YamlMap(Location(mapping.Start)), mapping);
                    break;
                case SequenceStart sequence:
                    Open(new YamlList(Location(sequence.Start)), sequence);
                    break;
                case MappingEnd or SequenceEnd:
                    Close();
                    break;
            }
        }

        return root;
    }

    private void Scalar(Scalar scalar)
    {
        Count(1, scalar.Start);
        if (Skipping())
        {
            return;
        }

        if (stack.Count > 0 && stack[^1] is { Node: YamlMap, ExpectsKey: true } frame)
        {
            // Keys are the scalar's text as written ("1", "true", "~" stay strings).
            var key = scalar.Value;
            if (((YamlMap)frame.Node).KeyLocations.TryGetValue(key, out var first))
            {
                throw new YamlLimitException(DiagnosticCodes.YamlSyntax, Location(scalar.Start), $"duplicate key '{key}' (first at line {first.Line})");
            }

            frame.Key = key;
            frame.KeyLocation = Location(scalar.Start);
            frame.ExpectsKey = false;
            Remember(scalar.Anchor, scalar.Value, nodeCount: 1, height: 0);
            return;
        }

        var value = YamlLoader.TypeScalar(scalar.Value, scalar.Style, scalar.Tag);
        Remember(scalar.Anchor, value, nodeCount: 1, height: 0);
        Attach(value, scalar.Start, height: 0);
    }

    private void Alias(AnchorAlias alias)
    {
        var name = alias.Value.Value;
        if (!anchors.TryGetValue(name, out var anchor))
        {
            throw new YamlLimitException(DiagnosticCodes.YamlAlias, Location(alias.Start), $"alias *{name} names no anchor (&{name}) written before it");
        }

        if (!anchor.Complete)
        {
            throw new YamlLimitException(DiagnosticCodes.YamlAlias, Location(alias.Start),
                $"alias *{name} is inside the node it names (&{name}, line {anchor.Location.Line}): it would repeat forever");
        }

        if (++aliases > limits.MaxAliasesPerFile)
        {
            throw new YamlLimitException(DiagnosticCodes.YamlAliases, Location(alias.Start), $"the file uses more than {limits.MaxAliasesPerFile} aliases");
        }

        if (stack.Count + anchor.Height > limits.MaxDepth)
        {
            throw new YamlLimitException(DiagnosticCodes.YamlDepth, Location(alias.Start),
                $"alias *{name} nests mappings and lists deeper than {limits.MaxDepth} levels here");
        }

        Count(anchor.Nodes, alias.Start, $" (alias *{name} adds {anchor.Nodes})");
        if (Skipping())
        {
            return;
        }

        if (stack.Count > 0 && stack[^1] is { Node: YamlMap, ExpectsKey: true } frame)
        {
            NotAKey(frame, alias.Start);
            return;
        }

        Attach(Copy(anchor.Value), alias.Start, anchor.Height);
    }

    private void Open(object node, NodeEvent start)
    {
        Count(1, start.Start);
        if (stack.Count >= limits.MaxDepth)
        {
            throw new YamlLimitException(DiagnosticCodes.YamlDepth, Location(start.Start), $"mappings and lists nest deeper than {limits.MaxDepth} levels");
        }

        var skip = stack.Count > 0 && (stack[^1].Skipping || stack[^1].SkipsNext);
        if (!skip && stack.Count > 0 && stack[^1] is { Node: YamlMap, ExpectsKey: true } keyed)
        {
            NotAKey(keyed, start.Start);
            skip = true;
        }
        else if (skip && stack[^1].SkipsNext)
        {
            stack[^1].SkipsNext = false;
            stack[^1].ExpectsKey = true;
        }

        stack.Add(new Frame(node, start, nodes - 1) { Skipping = skip });
        if (!skip && !start.Anchor.IsEmpty)
        {
            anchors[start.Anchor.Value] = new Anchor(node, Location(start.Start), Complete: false, Nodes: 0, Height: 0);
        }
    }

    private void Close()
    {
        var frame = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        if (frame.Skipping)
        {
            return;
        }

        var height = frame.Height + 1;
        Remember(frame.Start.Anchor, frame.Node, nodes - frame.NodesBefore, height);
        Attach(frame.Node, frame.Start.Start, height);
    }

    /// <summary>Whether this node is skipped: inside a skipped node, or the value of a key that could not be read.</summary>
    private bool Skipping()
    {
        if (stack.Count == 0)
        {
            return false;
        }

        var top = stack[^1];
        if (top.Skipping)
        {
            return true;
        }

        if (top.SkipsNext)
        {
            top.SkipsNext = false;
            top.ExpectsKey = true;
            return true;
        }

        return false;
    }

    /// <summary>A mapping key that is a mapping, a list or an alias: reported, and the key and its value are skipped.</summary>
    private void NotAKey(Frame frame, Mark at)
    {
        diagnostics.Add(Diagnostic.Error(DiagnosticCodes.WrongType, Location(at), "mapping keys must be plain strings"));
        frame.ExpectsKey = false;
        frame.SkipsNext = true;
    }

    private void Attach(object? value, Mark start, int height)
    {
        if (stack.Count == 0)
        {
            root = value;
            return;
        }

        var frame = stack[^1];
        frame.Height = Math.Max(frame.Height, height);
        switch (frame.Node)
        {
            case YamlList list:
                list.Add(value);
                list.ItemLocations.Add(Location(start));
                break;
            case YamlMap map:
                map[frame.Key!] = value;
                map.KeyLocations[frame.Key!] = frame.KeyLocation!;
                map.ValueLocations[frame.Key!] = Location(start);
                frame.ExpectsKey = true;
                break;
        }
    }

    private void Remember(AnchorName anchor, object? value, long nodeCount, int height)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = new Anchor(value, anchors.TryGetValue(anchor.Value, out var open) ? open.Location : new SourceLocation(file, 1, 1), Complete: true, nodeCount, height);
        }
    }

    private void Count(long added, Mark at, string detail = "")
    {
        nodes += added;
        budget.RevisionNodes += added;
        if (nodes > limits.MaxNodesPerFile)
        {
            throw new YamlLimitException(DiagnosticCodes.YamlNodes, Location(at),
                $"the file holds more than {limits.MaxNodesPerFile} YAML nodes once its aliases are expanded{detail}");
        }

        if (budget.RevisionNodes > limits.MaxNodesPerRevision)
        {
            throw new YamlLimitException(DiagnosticCodes.YamlNodes, Location(at),
                $"the revision's files hold more than {limits.MaxNodesPerRevision} YAML nodes together, aliases expanded; this file reaches the limit here{detail}");
        }
    }

    /// <summary>A deep copy (the anchored node is finished; its height is within the depth limit).</summary>
    private static object? Copy(object? value)
    {
        switch (value)
        {
            case YamlMap map:
                var mapCopy = new YamlMap(map.Location);
                foreach (var (key, item) in map)
                {
                    mapCopy[key] = Copy(item);
                    mapCopy.KeyLocations[key] = map.KeyLocation(key);
                    mapCopy.ValueLocations[key] = map.ValueLocation(key);
                }

                return mapCopy;
            case YamlList list:
                var listCopy = new YamlList(list.Location);
                for (var i = 0; i < list.Count; i++)
                {
                    listCopy.Add(Copy(list[i]));
                    listCopy.ItemLocations.Add(list.ItemLocation(i));
                }

                return listCopy;
            default:
                return value;
        }
    }

    private SourceLocation Location(Mark mark) => YamlLoader.Location(file, mark);

    private sealed record Anchor(object? Value, SourceLocation Location, bool Complete, long Nodes, int Height);

    /// <summary>An open mapping or list.</summary>
    private sealed class Frame(object node, NodeEvent start, long nodesBefore)
    {
        public object Node { get; } = node;

        public NodeEvent Start { get; } = start;

        public long NodesBefore { get; } = nodesBefore;

        /// <summary>Levels of mappings and lists below this one.</summary>
        public int Height { get; set; }

        /// <summary>A mapping waiting for its next key (the first event in it is a key).</summary>
        public bool ExpectsKey { get; set; } = node is YamlMap;

        public string? Key { get; set; }

        public SourceLocation? KeyLocation { get; set; }

        /// <summary>The whole node is skipped (it is a key that is not a string, or inside one).</summary>
        public bool Skipping { get; init; }

        /// <summary>The next node in this mapping is the value of a skipped key.</summary>
        public bool SkipsNext { get; set; }
    }
}

/// <summary>A YAML file broken or beyond a limit: the diagnostic to report, and the file is not used.</summary>
internal sealed class YamlLimitException(string code, SourceLocation location, string message) : Exception(message)
{
    public string Code { get; } = code;

    public SourceLocation Location { get; } = location;
}
