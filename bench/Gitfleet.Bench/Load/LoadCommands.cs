namespace Gitfleet.Bench.Load;

/// <summary>The load modes of bench/checkins.sh and bench/downloads.sh: register devices, hammer next, download artifacts.</summary>
internal static class LoadCommands
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return args switch
            {
                ["register", .. var rest] => await Registration.RunAsync(new BenchArgs(rest)),
                ["checkins", .. var rest] => await CheckInLoad.RunAsync(new BenchArgs(rest)),
                ["downloads", .. var rest] => await DownloadBench.RunAsync(new BenchArgs(rest)),
                ["million-prepare", .. var rest] => await MillionDevices.PrepareAsync(new BenchArgs(rest)),
                ["storm-prepare", .. var rest] => await StormDevices.PrepareAsync(new BenchArgs(rest)),
                ["storm-preauthorize", .. var rest] => await StormDevices.PreauthorizeAsync(new BenchArgs(rest)),
                ["storm-register", .. var rest] => await StormRegistration.RunAsync(new BenchArgs(rest)),
                ["storm", .. var rest] => await StormLoad.RunAsync(new BenchArgs(rest)),
                ["simulate", .. var rest] => await SimulatorLoad.RunAsync(new BenchArgs(rest)),
                _ => Usage(),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage: Gitfleet.Bench load register  --server URL --ca PEM --token T --devices N --tokens FILE [--prefix P] [--concurrency C]
                   Gitfleet.Bench load checkins  --server URL --ca PEM --tokens FILE --devices N [--connections C] [--warmup S] [--duration S] [--server-pid PID]
                                                 [--rate R (open loop: R requests/s)] [--watch name=PID,name=PID+ (+: with its children)]
                   Gitfleet.Bench load million-prepare --store postgres://... --devices N --tokens FILE [--prefix P] [--token-days D]
                   Gitfleet.Bench load simulate  --server URL --ca PEM --devices N [--prefix P] [--poll S] [--ramp S] [--duration S] [--server-pid PID]
                   Gitfleet.Bench load storm-prepare --devices N --keys ecdsa|ed25519|rsa|mixed --requests FILE --database SQLITE [--prefix P]
                   Gitfleet.Bench load storm-preauthorize --requests FILE --store postgres://USER@HOST:PORT/DB   (password: GITFLEET_STORE_PASSWORD)
                   Gitfleet.Bench load storm-register --requests FILE --database SQLITE   (the prepared devices as a first-contact storm leaves them)
                   Gitfleet.Bench load storm     --server URL --ca PEM --requests FILE [--devices N] [--connections C] [--handshakes true] [--server-pid PID] [--since-ms UNIX_MS]
                   Gitfleet.Bench load downloads --server URL --ca PEM --token T --work DIR [--size-mib M] [--runs R] [--parallel P] [--server-pid PID]
            """);
        return 2;
    }
}
