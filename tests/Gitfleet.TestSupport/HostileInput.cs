using System.Text;

namespace Gitfleet.TestSupport;

/// <summary>The hostile fleet files of issue 10, shared by the loader, CLI and server-process tests.</summary>
public static class HostileInput
{
    /// <summary>An alias inside the node it names: it would repeat forever.</summary>
    public const string SelfAlias = "loop: &x [ *x ]\n";

    /// <summary>A template whose three nested loops over a 2,000-item list would write 8 billion characters.</summary>
    public const string LoopingTemplate = "{\"x\": \"{{#each l}}{{#each @root.l}}{{#each @root.l}}x{{/each}}{{/each}}{{/each}}\"}";

    /// <summary>The variable <see cref="LoopingTemplate"/> loops over, as a YAML line.</summary>
    public static string TwoThousandItems => "l: [" + string.Join(",", Enumerable.Range(0, 2000)) + "]\n";

    /// <summary>A mapping key whose value is a list nested <paramref name="depth"/> levels deep, in flow style (200 KB for 100,000).</summary>
    public static string Deep(int depth = 100_000) => "deep: " + new string('[', depth) + new string(']', depth) + "\n";

    /// <summary>The classic "billion laughs": level i is a list of <paramref name="width"/> aliases to level i-1 (under 1 KB).</summary>
    public static string Bomb(int levels = 10, int width = 9)
    {
        var yaml = new StringBuilder("a0: &a0 [" + string.Join(",", Enumerable.Repeat("lol", width)) + "]\n");
        for (var i = 1; i < levels; i++)
        {
            yaml.Append($"a{i}: &a{i} [" + string.Join(",", Enumerable.Repeat($"*a{i - 1}", width)) + "]\n");
        }

        return yaml.ToString();
    }
}
