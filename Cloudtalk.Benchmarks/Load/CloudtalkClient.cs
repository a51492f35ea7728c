using System.Net.Http.Json;

namespace Cloudtalk.Benchmarks.Load;

/// <summary>The few Api calls the harness makes, as a REST consumer would (see docs/api.md).</summary>
public sealed class CloudtalkClient(HttpClient http)
{
    public async Task<long> CreateProductAsync(int number)
    {
        using var response = await http.PostAsJsonAsync("/api/products", new
        {
            name = $"Bench product {number}",
            description = "Seeded by the benchmark harness.",
            price = 10 + (number % 90) + 0.99m,
        });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ProductDto>())!.Id;
    }

    public async Task CreateReviewAsync(long productId, int rating)
    {
        using var response = await PostReviewAsync(productId, rating);
        response.EnsureSuccessStatusCode();
    }

    public Task<HttpResponseMessage> PostReviewAsync(long productId, int rating) =>
        http.PostAsJsonAsync("/api/reviews", new
        {
            productId,
            firstName = "Bench",
            lastName = "Mark",
            reviewText = "Seeded by the benchmark harness.",
            rating,
        });

    public async Task<ProductDto> GetProductAsync(long id) =>
        (await http.GetFromJsonAsync<ProductDto>($"/api/products/{id}"))!;

    public async Task<List<ProductDto>> GetAllProductsAsync()
    {
        var all = new List<ProductDto>();
        for (var page = 1; ; page++)
        {
            var list = (await http.GetFromJsonAsync<PageDto<ProductDto>>($"/api/products?page={page}&limit=1000"))!;
            all.AddRange(list.Data);
            if (page >= list.TotalPages)
            {
                return all;
            }
        }
    }

    public async Task<List<ReviewDto>> GetAllReviewsAsync(long productId)
    {
        var all = new List<ReviewDto>();
        for (var page = 1; ; page++)
        {
            var list = (await http.GetFromJsonAsync<PageDto<ReviewDto>>($"/api/products/{productId}/reviews?page={page}&limit=1000"))!;
            all.AddRange(list.Data);
            if (page >= list.TotalPages)
            {
                return all;
            }
        }
    }
}

public sealed record ProductDto(long Id, string Name, double AverageRating, int ReviewCount);

public sealed record ReviewDto(long Id, long ProductId, int Rating);

public sealed record PageDto<T>(List<T> Data, int TotalPages, int CurrentPage, long TotalItems);
