using System.Net.Http.Headers;

namespace Cloudtalk.Tests.Security;

/// <summary>The headers every Api answer must carry (and the one it must not).</summary>
public static class SecurityHeaderAssertions
{
    public const string JsonApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    public static void AssertSecurityHeaders(this HttpResponseMessage response, bool strictPolicy = true, bool noStore = true)
    {
        var what = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} ({(int)response.StatusCode})";
        Assert.True(Single(response, "X-Content-Type-Options") == "nosniff", $"X-Content-Type-Options on {what}");
        Assert.True(Single(response, "X-Frame-Options") == "DENY", $"X-Frame-Options on {what}");
        Assert.True(Single(response, "Referrer-Policy") == "no-referrer", $"Referrer-Policy on {what}");
        if (strictPolicy)
        {
            Assert.True(Single(response, "Content-Security-Policy") == JsonApiPolicy, $"Content-Security-Policy on {what}");
        }

        if (noStore)
        {
            Assert.True(response.Headers.CacheControl is { NoStore: true }, $"Cache-Control: no-store on {what}");
        }

        Assert.False(response.Headers.Contains("Server"), $"No Server header on {what}");
    }

    private static string? Single(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;

    public static string? MediaType(this HttpResponseMessage response) =>
        response.Content.Headers.ContentType is MediaTypeHeaderValue type ? type.MediaType : null;
}
