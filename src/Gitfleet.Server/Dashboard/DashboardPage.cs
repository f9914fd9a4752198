using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// A dashboard page: its request (rendered on the server, one request a page) and the request's cancellation, so a
/// browser that goes away stops the page's store queries instead of leaving them to run to the end.
/// </summary>
public abstract class DashboardPage : ComponentBase
{
    [CascadingParameter]
    protected HttpContext? HttpContext { get; set; }

    /// <summary>Cancelled when the browser goes away (none outside a request, as in component tests).</summary>
    protected CancellationToken Aborted => HttpContext?.RequestAborted ?? CancellationToken.None;
}
