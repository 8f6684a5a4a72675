# One image for the four services (the command picks the service), for users with Docker.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY libs ./libs
COPY services ./services
ENV PYTHONUNBUFFERED=1
CMD ["python", "-m", "services.settlement"]
