using System.CommandLine;
using Gitfleet.Client;

namespace Gitfleet.Cli.Commands;

/// <summary>
/// How commands reach a management API: --server, and a token (--token / GITFLEET_TOKEN) or a user and password
/// (--user, GITFLEET_PASSWORD), with --ca-cert for a self-signed server. The token and password never appear in
/// output or errors.
/// </summary>
internal sealed class ServerConnection
{
    public ServerConnection(bool required)
    {
        Server = new Option<string?>("--server")
        {
            Description = "The management API: a Gitfleet server, or a Mender server (hosted or self-hosted). Default: $GITFLEET_SERVER." + (required ? "" : " Without it, --facts is needed."),
            HelpName = "URL",
        };
        Token = new Option<string?>("--token") { Description = "A management token (personal access token or JWT). Default: $GITFLEET_TOKEN.", HelpName = "TOKEN" };
        User = new Option<string?>("--user") { Description = "Log in as this user instead of using a token (password from $GITFLEET_PASSWORD). Default: $GITFLEET_USER.", HelpName = "NAME" };
        CaCert = new Option<string?>("--ca-cert") { Description = "Trust this CA or server certificate (PEM), e.g. the Gitfleet server's generated data/tls/server.crt. Default: $GITFLEET_CA_CERT.", HelpName = "PEM" };
        Insecure = new Option<bool>("--insecure") { Description = "Do not verify the server's TLS certificate (throwaway setups only)." };
    }

    public Option<string?> Server { get; }

    public Option<string?> Token { get; }

    public Option<string?> User { get; }

    public Option<string?> CaCert { get; }

    public Option<bool> Insecure { get; }

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Server);
        command.Options.Add(Token);
        command.Options.Add(User);
        command.Options.Add(CaCert);
        command.Options.Add(Insecure);
    }

    public string? ServerUrl(ParseResult parse, CliConsole console) =>
        parse.GetValue(Server) ?? console.Environment("GITFLEET_SERVER");

    public async Task<ManagementClient> ConnectAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var server = ServerUrl(parse, console) ?? throw new CliException("give the management API with --server URL (or $GITFLEET_SERVER)");
        if (!Uri.TryCreate(server.EndsWith('/') ? server : server + "/", UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            throw new CliException($"--server must be an http(s) URL, not '{server}'");
        }

        var token = parse.GetValue(Token) ?? console.Environment("GITFLEET_TOKEN");
        var user = parse.GetValue(User) ?? console.Environment("GITFLEET_USER");
        var password = console.Environment("GITFLEET_PASSWORD");
        if (token is null && user is null)
        {
            throw new CliException("give a management token (--token or $GITFLEET_TOKEN), or --user with $GITFLEET_PASSWORD");
        }

        var caCert = parse.GetValue(CaCert) ?? console.Environment("GITFLEET_CA_CERT");
        try
        {
            return await ManagementClient.ConnectAsync(new ManagementClientOptions
            {
                ServerUrl = url,
                Token = token,
                User = token is null ? user : null,
                Password = token is null ? password : null,
                CaCertificatePath = caCert is null ? null : console.ResolvePath(caCert),
                Insecure = parse.GetValue(Insecure),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ManagementApiException e)
        {
            throw new CliException(e.Message, e);
        }
    }
}
