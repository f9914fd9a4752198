using Gitfleet.Bench;
using Gitfleet.Bench.Fleet;

return args switch
{
    ["generate-fleet", var directory, var devices, var hostVars] => FleetGenerator.Generate(directory, int.Parse(devices, System.Globalization.CultureInfo.InvariantCulture), int.Parse(hostVars, System.Globalization.CultureInfo.InvariantCulture)),
    ["parse-facts", var file, var runs] => await Measure.ParseFactsAsync(file, int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture)),
    ["parse-facts", var file, var runs, var only] => await Measure.ParseFactsAsync(file, int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture), only),
    ["plan", var repository, var file, var branch, var runs] => await Measure.PlanAsync(repository, file, branch, int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture)),
    ["load", .. var rest] => await Gitfleet.Bench.Load.LoadCommands.RunAsync(rest),
    ["reconcile", var work, var baseCommit, var changeCommit, var runs] => await ReconcileBench.RunAsync(work, baseCommit, changeCommit, int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture)),
    ["observe", var database, var runs] => await ObserveBench.RunAsync(database, int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture)),
    ["facts", var database, var runs] => await ObserveBench.FactsAsync(database, int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture)),
    ["facts", var database, var runs, var repository, var commit] => await ObserveBench.FactsAsync(database, int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture), repository, commit),
    ["dashboard-base", var work, var baseCommit] => await EnsureBaseAsync(work, baseCommit),
    ["dashboard", var url, var ca, var password, var pid, var runs, var streams, var seconds, var deepPage] => await DashboardBench.RunAsync(
        new Uri(url), ca, password, int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture), int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(streams, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromSeconds(int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)), deepPage),
    ["bulk-write", var url, var rows, var runs] => await BulkWriteBench.RunAsync(url, int.Parse(rows, System.Globalization.CultureInfo.InvariantCulture), int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture)),
    ["writer-cost-prepare", var database, var devices] => await WriterCostBench.PrepareAsync(database, int.Parse(devices, System.Globalization.CultureInfo.InvariantCulture)),
    ["writer-cost", var database, var seconds, var concurrency] => await WriterCostBench.RunAsync(database, int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture), int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture)),
    ["first-contact-cost", var requests, var database, var concurrency] => await FirstContactCostBench.RunAsync(requests, database, int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static async Task<int> EnsureBaseAsync(string work, string baseCommit)
{
    var database = Path.Combine(work, "base.db");
    if (!File.Exists(database))
    {
        await ReconcileBench.CreateBaseAsync(work, Path.Combine(work, "fleet"), baseCommit, database);
    }

    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Gitfleet.Bench generate-fleet DIR DEVICES HOST_VARS_FILES | parse-facts FILE RUNS [all|plan] | plan REPO FACTS BRANCH RUNS | load ... | reconcile WORK BASE CHANGE RUNS | observe DB RUNS | facts DB RUNS [REPO COMMIT] | dashboard-base WORK BASE | dashboard URL CA PASSWORD PID RUNS STREAMS SECONDS DEEP_PAGE_QUERY | bulk-write POSTGRES_URL ROWS RUNS | writer-cost-prepare DB DEVICES | writer-cost DB SECONDS CONCURRENCY | first-contact-cost REQUESTS DB CONCURRENCY (password in GITFLEET_STORE_PASSWORD)");
    return 2;
}
