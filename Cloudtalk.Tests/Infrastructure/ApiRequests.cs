using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>Small request and assertion steps the Api tests share.</summary>
public static class ApiRequests
{
    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string url, string json)
    {
        var request = new HttpRequestMessage(method, url)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        // Over the Api's 1 MiB limit it answers 413 from the Content-Length and closes the connection: without waiting
        // for "100 Continue" the client may still be writing the body and see the connection reset instead of the 413
        // (it happened in CI).
        request.Headers.ExpectContinue = Encoding.UTF8.GetByteCount(json) > 1024 * 1024;
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.SendJsonAsync(HttpMethod.Post, url, JsonSerializer.Serialize(body));

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, object body) =>
        client.SendJsonAsync(HttpMethod.Put, url, JsonSerializer.Serialize(body));

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Asserts the status and that the body is an RFC 9457 problem of that status; returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadJsonAsync();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        var text = problem.GetRawText();
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
        return problem;
    }

    /// <summary>Asserts a 400 validation problem whose <c>errors</c> name exactly the given fields.</summary>
    public static async Task<JsonElement> AssertValidationErrorsAsync(this HttpResponseMessage response, params string[] fields)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        var keys = errors.EnumerateObject().Select(property => property.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(fields.Order(StringComparer.Ordinal).ToArray(), keys);
        foreach (var property in errors.EnumerateObject())
        {
            Assert.NotEmpty(property.Value.EnumerateArray());
        }

        return problem;
    }

    public static async Task<JsonElement> CreateProductAsync(
        this HttpClient client, string name = "Desk lamp", decimal price = 39.9m, string? description = "Warm light")
    {
        using var response = await client.PostJsonAsync("/api/products", new { name, description, price });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    public static async Task<JsonElement> CreateReviewAsync(
        this HttpClient client, long productId, int rating = 4, string firstName = "Ada")
    {
        using var response = await client.PostJsonAsync("/api/reviews", new
        {
            productId, firstName, lastName = "Lovelace", reviewText = "Bright enough.", rating,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    public static long Id(this JsonElement element) => element.GetProperty("id").GetInt64();

    public static MediaTypeHeaderValue? ContentType(this HttpResponseMessage response) => response.Content.Headers.ContentType;
}
