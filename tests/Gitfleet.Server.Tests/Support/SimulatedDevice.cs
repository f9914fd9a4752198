using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gitfleet.Server.Tests.Support;

/// <summary>
/// A device speaking the Mender device protocol from C# (signed auth requests, bearer token), for integration tests
/// that need many devices or exact control. End-to-end tests use the real mender-client instead.
/// </summary>
public sealed class SimulatedDevice : IDisposable
{
    private readonly AsymmetricAlgorithm? key;
    private readonly OpensslEd25519Key? ed25519;

    /// <param name="mac">The identity (a new random one when null): the same identity with another key is a device's second auth set.</param>
    public SimulatedDevice(HttpClient http, bool ecdsa = false, bool ed25519 = false, string? mac = null)
    {
        Http = http;
        if (ed25519)
        {
            // .NET cannot sign with Ed25519; openssl can, as a device's tooling would.
            this.ed25519 = new OpensslEd25519Key();
        }
        else
        {
            key = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        }

        Mac = mac ?? "02:" + string.Join(':', RandomNumberGenerator.GetBytes(5).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    public HttpClient Http { get; }

    public string Mac { get; }

    public string? Id { get; set; }

    public string? Token { get; set; }

    public string PublicKeyPem => ed25519?.PublicKeyPem ?? (key is RSA rsa ? rsa.ExportSubjectPublicKeyInfoPem() : ((ECDsa)key!).ExportSubjectPublicKeyInfoPem());

    public string IdData => JsonSerializer.Serialize(new Dictionary<string, string> { ["mac"] = Mac });

    /// <summary>POSTs a signed auth request (as mender-client does: body + newline, signature over the raw bytes).</summary>
    public Task<HttpResponseMessage> RequestAuthAsync(Func<byte[], byte[]>? tamper = null) => RequestAuthAsync(Http, tamper);

    /// <summary>The signed auth request through another client (another replica of a cluster).</summary>
    public async Task<HttpResponseMessage> RequestAuthAsync(HttpClient http, Func<byte[], byte[]>? tamper = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id_data = IdData, tenant_token = "", pubkey = PublicKeyPem }) + "\n");
        var signature = Sign(body);
        var sent = tamper?.Invoke(body) ?? body;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v1/authentication/auth_requests") { Content = new ByteArrayContent(sent) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-MEN-Signature", Convert.ToBase64String(signature));
        return await http.SendAsync(request).ConfigureAwait(false);
    }

    public async Task<string> AuthenticateAsync()
    {
        using var response = await RequestAuthAsync().ConfigureAwait(false);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        Token = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return Token;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? json = null, string? token = null) => SendAsync(Http, method, path, json, token);

    /// <summary>A request with the device's token through another client (another replica of a cluster).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, object? json = null, string? token = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Token);
        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }

        return await http.SendAsync(request).ConfigureAwait(false);
    }

    /// <summary>The v2 check-in as mender-client 3.4 sends it.</summary>
    public Task<HttpResponseMessage> NextAsync(string artifactName = "release-1", string deviceType = "raspberrypi4") =>
        SendAsync(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next",
            new { device_provides = new { artifact_name = artifactName, device_type = deviceType }, update_control_map = true });

    public Task<HttpResponseMessage> ReportAsync(string deploymentId, string status) =>
        SendAsync(HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{deploymentId}/status", new { status });

    public byte[] Sign(byte[] data) => ed25519?.Sign(data) ?? (key is RSA rsa
        ? rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
        : ((ECDsa)key!).SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    public void Dispose()
    {
        key?.Dispose();
        ed25519?.Dispose();
        Http.Dispose();
    }

    /// <summary>An Ed25519 key pair held by openssl in a temp dir.</summary>
    private sealed class OpensslEd25519Key : IDisposable
    {
        private readonly Gitfleet.TestSupport.TempDirectory directory = new("ed25519");

        public OpensslEd25519Key()
        {
            Run("genpkey", "-algorithm", "ed25519", "-out", directory.Combine("key.pem"));
            PublicKeyPem = Run("pkey", "-in", directory.Combine("key.pem"), "-pubout");
        }

        public string PublicKeyPem { get; }

        public byte[] Sign(byte[] data)
        {
            var input = directory.Combine("data.bin");
            File.WriteAllBytes(input, data);
            Run("pkeyutl", "-sign", "-inkey", directory.Combine("key.pem"), "-rawin", "-in", input, "-out", directory.Combine("sig.bin"));
            return File.ReadAllBytes(directory.Combine("sig.bin"));
        }

        public void Dispose() => directory.Dispose();

        private static string Run(params string[] arguments)
        {
            var result = Gitfleet.Git.ProcessRunner.RunAsync("openssl", arguments).GetAwaiter().GetResult();
            result.ExitCode.ShouldBe(0, result.StandardError);
            return result.StandardOutput;
        }
    }
}
