using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gitfleet.Server.Tests.Monitoring;

/// <summary>The shipped Prometheus rules, checked and unit-tested by Debian's promtool.</summary>
public sealed partial class AlertRuleTests
{
    [Fact]
    public async Task The_alert_rules_pass_promtool_check_and_their_unit_tests()
    {
        var check = await PromtoolAsync("check", "rules", RepositoryFiles.Path("docs", "monitoring", "gitfleet-alerts.yml"));
        check.ExitCode.ShouldBe(0, check.Output);
        check.Output.ShouldContain("SUCCESS");
        var test = await PromtoolAsync("test", "rules", RepositoryFiles.Path("docs", "monitoring", "gitfleet-alerts.test.yml"));
        test.ExitCode.ShouldBe(0, test.Output);
        test.Output.ShouldContain("SUCCESS");
    }

    [Fact]
    public void Every_alert_of_the_issue_is_shipped_and_unit_tested()
    {
        var rules = File.ReadAllText(RepositoryFiles.Path("docs", "monitoring", "gitfleet-alerts.yml"));
        var tests = File.ReadAllText(RepositoryFiles.Path("docs", "monitoring", "gitfleet-alerts.test.yml"));
        var alerts = AlertName().Matches(rules).Select(m => m.Groups[1].Value).ToList();
        alerts.ShouldBe(["GitfleetRolloutPaused", "GitfleetFailureRateAboveBudget", "GitfleetStageStalled", "GitfleetDevicesSilent", "GitfleetServerNotReady", "GitfleetNoLeader"], ignoreOrder: true);
        foreach (var alert in alerts)
        {
            tests.ShouldContain("alertname: " + alert, customMessage: $"{alert} has no promtool unit test");
        }
    }

    [Fact]
    public async Task Every_query_of_the_Grafana_dashboard_parses_as_PromQL()
    {
        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Path("docs", "monitoring", "grafana-dashboard.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        queries.Count.ShouldBeGreaterThan(10);
        // promtool parses PromQL when it checks rules: each query becomes a recording rule (Grafana's variables filled in).
        var rules = new System.Text.StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (var i = 0; i < queries.Count; i++)
        {
            var expr = queries[i].Replace("$branch", ".*", StringComparison.Ordinal);
            rules.Append(System.Globalization.CultureInfo.InvariantCulture, $"      - record: dashboard:query_{i}\n        expr: '{expr.Replace("'", "''", StringComparison.Ordinal)}'\n");
        }

        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gitfleet-dashboard-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(file, rules.ToString());
        try
        {
            var check = await PromtoolAsync("check", "rules", file);
            check.ExitCode.ShouldBe(0, check.Output);
            check.Output.ShouldContain($"SUCCESS: {queries.Count} rules found");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs Debian's promtool (package prometheus, installed by scripts/prerequisites.sh).</summary>
    internal static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments) => await RunAsync(null, arguments);

    internal static async Task<(int ExitCode, string Output)> RunAsync(string? stdin, params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    [GeneratedRegex(@"- alert: (\w+)")]
    private static partial Regex AlertName();
}
