using System.Net;
using System.Text.RegularExpressions;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;

namespace Gitfleet.Server.Tests.Dashboard;

/// <summary>An HTTP client that uses the dashboard as a browser would: cookies, the login form and its antiforgery token.</summary>
internal sealed partial class DashboardClient : IDisposable
{
    private readonly CookieContainer cookies = new();

    public DashboardClient(TestServer server)
    {
        var handler = PinnedCertificate.Handler(server.Server.CertificatePath!);
        handler.CookieContainer = cookies;
        handler.UseCookies = true;
        handler.AllowAutoRedirect = false;
        Http = new HttpClient(handler) { BaseAddress = server.BaseUri };
    }

    public HttpClient Http { get; }

    public CookieCollection Cookies => cookies.GetAllCookies();

    /// <summary>Signs in through the login form; returns the login POST's response (a redirect).</summary>
    public async Task<HttpResponseMessage> LoginAsync(string user = "admin", string password = TestServer.AdminPassword, string returnTo = "/ui/")
    {
        var token = await TokenAsync("/ui/login");
        return await Http.PostAsync("/ui/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__csrf"] = token, ["email"] = user, ["password"] = password, ["return"] = returnTo,
        }));
    }

    /// <summary>The antiforgery token of a page's forms.</summary>
    public async Task<string> TokenAsync(string page)
    {
        var html = await Http.GetStringAsync(page);
        return CsrfField().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException($"no antiforgery field on {page}");
    }

    public Task<HttpResponseMessage> PostFormAsync(string path, string? token) =>
        Http.PostAsync(path, new FormUrlEncodedContent(token is null ? [] : new Dictionary<string, string> { ["__csrf"] = token }));

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
