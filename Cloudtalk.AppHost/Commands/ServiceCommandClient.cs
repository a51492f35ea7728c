using System.Net.Http.Headers;
using System.Text.Json;

namespace Cloudtalk.AppHost.Commands;

/// <summary>An HTTP client for a service's endpoints (the Api's REST Api, Rating's rebuild), for commands that run in the AppHost.</summary>
internal static class ServiceCommandClient
{
    /// <summary>camelCase, as the Api reads and writes JSON.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// A client for the endpoint's URL as allocated for this run (with replicas, the proxy in front of them).
    /// A client per command run: commands are rare, and a fresh one never holds a stale connection.
    /// </summary>
    /// <param name="endpoint">The resource's endpoint.</param>
    /// <param name="timeout">How long one request may take (default 30 s).</param>
    public static HttpClient Create(EndpointReference endpoint, TimeSpan? timeout = null) =>
        new() { BaseAddress = new Uri(endpoint.Url), Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    /// <summary>A client as <see cref="Create"/> that also sends the operations key, for the operators' endpoints.</summary>
    /// <param name="endpoint">The resource's endpoint.</param>
    /// <param name="operationsKey">The AppHost's <c>operations-key</c> parameter.</param>
    /// <param name="cancellationToken">Cancels reading the key.</param>
    /// <param name="timeout">How long one request may take (default 30 s).</param>
    public static async Task<HttpClient> CreateAsync(EndpointReference endpoint, ParameterResource operationsKey,
        CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var client = Create(endpoint, timeout);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await operationsKey.GetValueAsync(cancellationToken));
        return client;
    }
}
