using Gitfleet.Bench;

return args switch
{
    ["generate-fleet", var directory, var devices, var hostVars] => FleetGenerator.Generate(directory, int.Parse(devices, System.Globalization.CultureInfo.InvariantCulture), int.Parse(hostVars, System.Globalization.CultureInfo.InvariantCulture)),
    ["parse-facts", var file] => Measure.ParseFacts(file),
    ["plan", var repository, var file, var branch] => Measure.Plan(repository, file, branch),
    ["load", .. var rest] => await Gitfleet.Bench.Load.LoadCommands.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Gitfleet.Bench generate-fleet DIR DEVICES HOST_VARS_FILES");
    return 2;
}
