cd ~/src/shop-api
git pull --rebase
npm ci
docker login -u mkowalski -p gCKt1_NvJ4gP=y3Y@t6Mb^TebcH registry.acme-corp.net
psql "postgresql://shop_admin:OwmUaU87ipL0et-Kk0ZZ7A5PH@shop-db.cluster-c8x2kq1lz9ab.eu-west-1.rds.amazonaws.com:5432/shop"
kubectl -n shop get pods
curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZDMyOTUzOC0yMGQ4LTQxZWEtOWFlYy1lOWUwNGI3ZTYzMjciLCJlbWFpbCI6Im9wcy1ib3RAYWNtZS1jb3JwLmNvbSIsImlzcyI6Imh0dHBzOi8vYXV0aC5hY21lLWNvcnAuY29tLyIsImF1ZCI6ImFwaS5hY21lLWNvcnAuY29tIiwic2NvcGUiOiJyZWFkOm9yZGVycyB3cml0ZTpvcmRlcnMiLCJpYXQiOjE3MTcyNDAyNDUsImV4cCI6MTc0ODc3NjI0NX0.GCgaSs0Qz6Dl0bid2mdMm957mYDH8Z-0ix6EShUtPxE" https://api.acme-corp.com/v2/orders?limit=5
curl -u admin:ZMkv8n6VORBOfA.LOf2GKPVzO https://jenkins.acme-corp.net/api/json
mysql -h reporting.acme-corp.net -u admin -p'69gwrepTSJ8W_W7=y@_+' reports
export AWS_PROFILE=acme-prod
aws sso login
aws s3 ls s3://acme-shop-prod-uploads/
history | grep token
vault login -method=oidc
gh auth status
