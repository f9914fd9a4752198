using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Gitfleet.Bench;

/// <summary>
/// The dashboard at scale (bench/dashboard.sh), against a separate server process holding 200,000 devices with a
/// rollout in progress: every page requested in turn, one at a time after a warm-up, with the server's own time for
/// each (the Server-Timing header the dashboard sets: from the request reaching the dashboard to the response
/// starting) and the time the client saw; then the live view's cost: the server's CPU with no browser open against
/// N open event streams (what each open stages page holds), over the same window.
/// </summary>
internal static partial class DashboardBench
{
    public static async Task<int> RunAsync(Uri server, string caPath, string password, int pid, int runs, int streams, TimeSpan window)
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler
        {
            CookieContainer = cookies,
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && Pinned(caPath, certificate) },
            MaxConnectionsPerServer = streams + 4,
        }) { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };

        await LoginAsync(http, password);
        var devicePage = await http.GetStringAsync("/ui/devices?q=" + Uri.EscapeDataString("branch:production rollout:scheduled"));
        var deviceId = DeviceLink().Match(devicePage) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("no scheduled device listed: is the rollout in progress?");
        var pages = new (string Name, string Path)[]
        {
            ("stages", "/ui/"),
            ("rollout", "/ui/rollouts/production"),
            ("devices (first page, no filter)", "/ui/devices"),
            ("devices: branch:production rollout:scheduled", "/ui/devices?q=" + Uri.EscapeDataString("branch:production rollout:scheduled")),
            ("devices: branch:production page 2000", "/ui/devices?q=" + Uri.EscapeDataString("branch:production") + "&page=2000"),
            ("devices: status:accepted type:pi4-v3-arm64", "/ui/devices?q=" + Uri.EscapeDataString("status:accepted type:pi4-v3-arm64")),
            ("devices: tag:site=site-07 (an attribute)", "/ui/devices?q=" + Uri.EscapeDataString("tag:site=site-07")),
            ("devices: id prefix", "/ui/devices?q=" + Uri.EscapeDataString(deviceId[..6])),
            ("device", "/ui/devices/" + deviceId),
            ("admission", "/ui/admission"),
            ("artifacts", "/ui/artifacts"),
            ("notifications", "/ui/notifications"),
        };

        Console.WriteLine($"pages: {runs} requests each after 3 warm-up requests, one at a time (server = Server-Timing, client = as seen over loopback TLS)");
        Console.WriteLine($"{"page",-48} {"server p50",10} {"server p95",10} {"client p50",10} {"client p95",10} {"bytes",8}");
        foreach (var (name, path) in pages)
        {
            var serverTimes = new List<double>();
            var clientTimes = new List<double>();
            long bytes = 0;
            for (var i = 0; i < runs + 3; i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await http.GetAsync(path);
                var body = await response.Content.ReadAsByteArrayAsync();
                clock.Stop();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
                }

                if (i < 3)
                {
                    continue;
                }

                bytes = body.Length;
                clientTimes.Add(clock.Elapsed.TotalMilliseconds);
                serverTimes.Add(response.Headers.TryGetValues("Server-Timing", out var timing) && ServerTiming().Match(timing.First()) is { Success: true } t
                    ? double.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN);
            }

            Console.WriteLine(FormattableString.Invariant($"{name,-48} {P(serverTimes, 50),8:F1}ms {P(serverTimes, 95),8:F1}ms {P(clientTimes, 50),8:F1}ms {P(clientTimes, 95),8:F1}ms {bytes,8}"));
            Console.WriteLine(FormattableString.Invariant($"result page=\"{name}\" server_p95_ms={P(serverTimes, 95):F1} client_p95_ms={P(clientTimes, 95):F1}"));
        }

        await LiveViewAsync(http, pid, streams, window);
        return 0;
    }

    private static async Task LiveViewAsync(HttpClient http, int pid, int streams, TimeSpan window)
    {
        Console.WriteLine($"live view: server CPU over {window.TotalSeconds:0} s with no stream open, then with {streams} open event streams");
        var idle = await CpuOverAsync(pid, window);
        using var stop = new CancellationTokenSource();
        var events = new long[streams];
        var readers = Enumerable.Range(0, streams).Select(i => ReadStreamAsync(http, i, events, stop.Token)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var open = await CpuOverAsync(pid, window);
        var received = Interlocked.Read(ref events[0]);
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        var perStream = (open - idle) / streams;
        Console.WriteLine(FormattableString.Invariant($"  server CPU: {idle * 100:F2}% of a core idle, {open * 100:F2}% with {streams} streams open: {perStream * 100:F3}% of a core per open browser ({received} events on one stream)"));
        Console.WriteLine(FormattableString.Invariant($"result live_idle_core={idle:F4} live_open_core={open:F4} per_browser_percent={perStream * 100:F3}"));
    }

    private static async Task ReadStreamAsync(HttpClient http, int index, long[] events, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("/ui/events/stages", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref events[index]);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Cores used by the process over the window (user + system time from /proc).</summary>
    private static async Task<double> CpuOverAsync(int pid, TimeSpan window)
    {
        var before = CpuSeconds(pid);
        var clock = Stopwatch.StartNew();
        await Task.Delay(window);
        return (CpuSeconds(pid) - before) / clock.Elapsed.TotalSeconds;
    }

    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static async Task LoginAsync(HttpClient http, string password)
    {
        var form = await http.GetStringAsync("/ui/login");
        var token = WebUtility.HtmlDecode(Csrf().Match(form).Groups[1].Value);
        using var login = await http.PostAsync("/ui/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__csrf"] = token, ["email"] = "admin", ["password"] = password, ["return"] = "/ui/",
        }));
        if (login.Headers.Location?.ToString() != "/ui/")
        {
            throw new InvalidOperationException("the dashboard login failed");
        }
    }

    private static bool Pinned(string caPath, System.Security.Cryptography.X509Certificates.X509Certificate certificate)
    {
        using var expected = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
        return expected.RawData.AsSpan().SequenceEqual(certificate.GetRawCertData());
    }

    private static double P(List<double> values, int percentile)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    [GeneratedRegex("name=\"__csrf\" value=\"([^\"]+)\"")]
    private static partial Regex Csrf();

    [GeneratedRegex("href=\"/ui/devices/([0-9a-f-]{36})\"")]
    private static partial Regex DeviceLink();

    [GeneratedRegex(@"dur=([0-9.]+)")]
    private static partial Regex ServerTiming();
}
