using System.Text.Json;

namespace Cloudtalk.AppHost.Commands;

/// <summary>An HTTP client for the Api's REST endpoints, for commands that run in the AppHost.</summary>
internal static class ApiCommandClient
{
    /// <summary>camelCase, as the Api reads and writes JSON.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// A client for the endpoint's URL as allocated for this run (with replicas, the proxy in front of them).
    /// A client per command run: commands are rare, and a fresh one never holds a stale connection.
    /// </summary>
    public static HttpClient Create(EndpointReference endpoint) =>
        new() { BaseAddress = new Uri(endpoint.Url), Timeout = TimeSpan.FromSeconds(30) };
}
