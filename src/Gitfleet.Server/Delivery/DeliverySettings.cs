using Gitfleet.Server.Hosting;

namespace Gitfleet.Server.Delivery;

/// <summary>Reads the delivery settings (delta_*, download_*) from the server's settings layers.</summary>
internal static class DeliverySettings
{
    public static DeliveryOptions Load(Func<string, string?> get, DeliveryOptions defaults)
    {
        var baseUrl = get("download_base_url");
        Uri? downloadBase = null;
        if (baseUrl is not null)
        {
            if (!Uri.TryCreate(baseUrl.TrimEnd('/'), UriKind.Absolute, out downloadBase) || downloadBase.Scheme is not ("https" or "http")
                || !string.IsNullOrEmpty(downloadBase.Query) || !string.IsNullOrEmpty(downloadBase.Fragment))
            {
                throw new ServerSettingsException($"download_base_url: '{baseUrl}' is not an http(s) URL without query (for example https://downloads.example.com/gitfleet)");
            }
        }

        var secret = get("download_secret");
        if (downloadBase is not null && string.IsNullOrEmpty(secret))
        {
            throw new ServerSettingsException("download_base_url needs download_secret (GITFLEET_DOWNLOAD_SECRET): the secret nginx's secure_link_md5 checks links with");
        }

        if (secret is { Length: < 16 })
        {
            throw new ServerSettingsException("download_secret must be at least 16 characters");
        }

        return defaults with
        {
            DeltaUpdates = get("delta_updates") switch
            {
                null => defaults.DeltaUpdates,
                "on" or "true" or "1" => true,
                "off" or "false" or "0" => false,
                var other => throw new ServerSettingsException($"delta_updates: '{other}' is not on or off"),
            },
            DeltaWait = ServerSettings.Duration(get("delta_wait"), "delta_wait") ?? defaults.DeltaWait,
            DeltaTimeout = ServerSettings.Duration(get("delta_timeout"), "delta_timeout") ?? defaults.DeltaTimeout,
            DownloadBaseUrl = downloadBase,
            DownloadSecret = secret,
        };
    }
}
