using System.Net;
using System.Text;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Security;

/// <summary>Every answer, success or error, carries the security headers and no Server banner.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class SecurityHeadersTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Successful_reads_and_writes_carry_the_security_headers_and_no_store()
    {
        var product = await _client.CreateProductAsync("headers");
        var id = product.Id();
        var review = await _client.CreateReviewAsync(id);

        var requests = new List<(HttpMethod Method, string Url, string? Body, HttpStatusCode Expected)>
        {
            (HttpMethod.Post, "/api/products", """{ "name": "headers 2", "price": 1 }""", HttpStatusCode.Created),
            (HttpMethod.Get, "/api/products?page=1&limit=5", null, HttpStatusCode.OK),
            (HttpMethod.Get, $"/api/products/{id}", null, HttpStatusCode.OK),
            (HttpMethod.Get, $"/api/products/{id}/reviews", null, HttpStatusCode.OK),
            (HttpMethod.Put, $"/api/products/{id}", """{ "price": 2 }""", HttpStatusCode.OK),
            (HttpMethod.Get, $"/api/reviews/{review.Id()}", null, HttpStatusCode.OK),
            (HttpMethod.Put, $"/api/reviews/{review.Id()}", """{ "rating": 5 }""", HttpStatusCode.OK),
            (HttpMethod.Delete, $"/api/reviews/{review.Id()}", null, HttpStatusCode.NoContent),
            (HttpMethod.Delete, $"/api/products/{id}", null, HttpStatusCode.NoContent),
            (HttpMethod.Get, "/health", null, HttpStatusCode.OK),
            (HttpMethod.Get, "/alive", null, HttpStatusCode.OK),
            (HttpMethod.Get, "/openapi/v1.json", null, HttpStatusCode.OK),
        };

        foreach (var (method, url, body, expected) in requests)
        {
            using var response = await SendAsync(method, url, body);
            Assert.Equal(expected, response.StatusCode);
            response.AssertSecurityHeaders();
        }
    }

    [Fact]
    public async Task Error_answers_carry_the_security_headers_and_no_store()
    {
        var requests = new List<(HttpMethod Method, string Url, string? Body, HttpStatusCode Expected)>
        {
            (HttpMethod.Get, "/api/products/0", null, HttpStatusCode.NotFound),
            (HttpMethod.Get, "/api/products/abc", null, HttpStatusCode.NotFound),
            (HttpMethod.Get, "/no/such/route", null, HttpStatusCode.NotFound),
            (HttpMethod.Get, "/api/products?page=0", null, HttpStatusCode.BadRequest),
            (HttpMethod.Post, "/api/products", "{ not json", HttpStatusCode.BadRequest),
            (HttpMethod.Post, "/api/products", """{ "name": "" }""", HttpStatusCode.BadRequest),
            (HttpMethod.Patch, "/api/products/1", "{}", HttpStatusCode.MethodNotAllowed),
            (HttpMethod.Delete, "/api/reviews/9223372036854775807", null, HttpStatusCode.NotFound),
            (HttpMethod.Post, "/api/products", """{ "name": "x", "description": """ + "\"" + new string('d', 1024 * 1024) + "\", \"price\": 1 }",
                HttpStatusCode.RequestEntityTooLarge),
        };

        foreach (var (method, url, body, expected) in requests)
        {
            using var response = await SendAsync(method, url, body);
            await response.AssertProblemAsync(expected);
            response.AssertSecurityHeaders();
        }
    }

    [Fact]
    public async Task The_Scalar_reference_page_works_without_the_strict_policy_but_still_may_not_be_framed()
    {
        // The Api runs in Development under the tests' AppHost, so the reference page is there.
        using var page = await _client.GetAsync("/scalar/v1");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.MediaType());
        Assert.False(page.Headers.Contains("Content-Security-Policy"), "The Scalar page loads inline scripts and styles.");
        page.AssertSecurityHeaders(strictPolicy: false, noStore: false);

        // Whatever script the page loads from the Api itself is served too (and without the strict policy).
        var html = await page.Content.ReadAsStringAsync();
        foreach (var script in System.Text.RegularExpressions.Regex.Matches(html, "<script[^>]+src=\"([^\"]+)\"")
                     .Select(match => match.Groups[1].Value)
                     .Where(src => !src.StartsWith("http", StringComparison.OrdinalIgnoreCase)))
        {
            var url = script.StartsWith('/') ? script : "/scalar/" + script;
            using var asset = await _client.GetAsync(url);
            Assert.True(asset.StatusCode == HttpStatusCode.OK, $"{url}: {(int)asset.StatusCode}");
            asset.AssertSecurityHeaders(strictPolicy: false, noStore: false);
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? body)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            // The Api answers 413 from the Content-Length and closes the connection: without waiting for
            // "100 Continue" the client may still be writing the body and fail with a broken pipe instead of the 413.
            request.Headers.ExpectContinue = body.Length > HostileRequests.OneMiB;
        }

        return _client.SendAsync(request);
    }
}
