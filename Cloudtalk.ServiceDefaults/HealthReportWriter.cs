using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cloudtalk.ServiceDefaults;

/// <summary>
/// Writes a health report as <c>{ "status": "Healthy", "checks": { "npgsql": "Healthy", ... } }</c>.
/// Exception messages are left out on purpose: a failed connect can echo host names or credentials.
/// </summary>
internal static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";

        var body = new HealthReportBody(
            report.Status.ToString(),
            report.Entries.ToDictionary(entry => entry.Key, entry => entry.Value.Status.ToString()));

        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthReportJsonContext.Default.HealthReportBody);
    }
}

internal sealed record HealthReportBody(string Status, Dictionary<string, string> Checks);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReportBody))]
internal sealed partial class HealthReportJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
